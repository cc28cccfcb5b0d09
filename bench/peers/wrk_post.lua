-- wrk: the identical request the clients send (POST util/Echo, 1 KiB JSON, Simple auth).
-- The key and body are set by the harness through environment variables.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Simple " .. os.getenv("BENCH_KEY")
