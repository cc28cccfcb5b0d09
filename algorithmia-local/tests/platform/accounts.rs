//! Users and organisations.

use crate::{ALICE, Api, BOB, CAROL, start};

#[test]
fn users_and_organisations_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    let me = alice.get("/v1/users/alice");
    assert_eq!(me.status, 200);
    assert_eq!(me.json["username"], "alice");
    assert_eq!(me.json["resource_type"], "user");
    let missing = alice.get("/v1/users/nobody");
    assert_eq!((missing.status, missing.code()), (404, Some(3000)));
    // An organisation is not a user, and a user is not an organisation.
    assert_eq!(alice.get("/v1/users/acme").code(), Some(3000));
    assert_eq!(alice.get("/v1/organizations/alice").code(), Some(3000));

    let org = alice.get("/v1/organizations/acme");
    assert_eq!(org.status, 200);
    assert_eq!(org.json["org_name"], "acme");
    let carol = Api::new(&server, CAROL);
    let members = carol.get("/v1/organizations/acme/members");
    assert_eq!(members.json["results"][0]["username"], "carol");
    let bob = Api::new(&server, BOB);
    assert_eq!(bob.get("/v1/organizations/acme/members").code(), Some(2001));
}
