//! The blocking facade over the same server: algorithm calls and the Data API, on a thread
//! outside any async runtime, as its users call it.

use algorithmia_client::{DataAcl, Error, Raw, TransferOptions, blocking};
use serde_json::json;

use super::Target;

/// Run `body` on a thread of its own (the blocking facade refuses to run inside an async
/// runtime) and wait for it without blocking the runtime; its panic is the caller's panic.
async fn outside_the_runtime(body: impl FnOnce() + Send + 'static) {
    let thread = std::thread::spawn(body);
    match tokio::task::spawn_blocking(move || thread.join()).await {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(e) => panic!("could not wait for the blocking check's thread: {e}"),
    }
}

/// Calls, raw output, an algorithm's error and a bad reference through the blocking client;
/// clones work from several threads at once.
pub async fn the_blocking_facade_covers_algorithm_calls(target: &Target) {
    let target = target.clone();
    outside_the_runtime(move || {
        let names = &target.algorithms;
        let client = blocking::Client::from_async(target.client()).unwrap();
        let response = client
            .algo(&names.echo)
            .pipe(json!([2, 2, 2, 3, 3]))
            .unwrap();
        assert_eq!(response.decode::<Vec<u8>>().unwrap(), vec![2, 2, 2, 3, 3]);
        let raw = client.algo(&names.echo).output(Raw).pipe("raw!").unwrap();
        assert_eq!(raw.as_text(), Some("raw!"));
        let err = client
            .algo(&names.fail)
            .pipe_json(&json!({"message": "blocking failure"}))
            .unwrap_err();
        assert!(matches!(err, Error::Algorithm(_)), "{err:?}");
        let err = client.algo("nope").pipe_json_text("1").unwrap_err();
        assert!(matches!(err, Error::InvalidAlgoRef(_)), "{err:?}");

        // Clones share the runtime and work from other threads at once.
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let client = client.clone();
                let echo = names.echo.clone();
                std::thread::spawn(move || {
                    client
                        .algo(&echo)
                        .pipe("x")
                        .map(|r| r.request_id().map(str::to_owned))
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().unwrap().unwrap().is_some());
        }
        drop(client);
    })
    .await;
}

/// Create, list, read, write, stream and delete through the blocking client; an error ends a
/// listing's iteration.
pub async fn the_blocking_facade_covers_the_data_api(target: &Target) {
    let target = target.clone();
    outside_the_runtime(move || {
        let c = blocking::Client::from_async(target.client()).unwrap();
        let base = target.my_dir("blocking");
        let dir = c.dir(&base);
        dir.create(DataAcl::Public).unwrap();
        assert!(dir.exists().unwrap());
        assert_eq!(dir.acl().unwrap(), Some(DataAcl::Public));
        for i in 0..5 {
            dir.file(&format!("f{i}"))
                .put_string(format!("{i}"))
                .unwrap();
        }
        let names: Vec<String> = dir.files().map(|f| f.unwrap().name).collect();
        assert_eq!(names, ["f0", "f1", "f2", "f3", "f4"]);
        assert_eq!(dir.list().count(), 5);
        let f = dir.file("f0");
        assert_eq!(f.get_string().unwrap(), "0");
        f.put_reader(std::io::Cursor::new(vec![9u8; 700_000]))
            .unwrap();
        let mut read = Vec::new();
        std::io::Read::read_to_end(&mut f.get_reader().unwrap(), &mut read).unwrap();
        assert_eq!(read, vec![9u8; 700_000]);
        assert_eq!(f.metadata().unwrap().size, 700_000);
        let local = tempfile::tempdir().unwrap();
        let report = c
            .download_dir(&base, local.path(), TransferOptions::default())
            .unwrap();
        assert_eq!(report.files, 5);
        let errors: Vec<_> = c.dir(format!("{base}/f1")).list().collect();
        assert_eq!(errors.len(), 1, "an error ends the iteration");
        assert!(errors[0].is_err());
        assert_eq!(dir.delete(true).unwrap(), 5);
    })
    .await;
}
