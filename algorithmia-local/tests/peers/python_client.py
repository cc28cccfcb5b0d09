"""The official Python client (PyPI `algorithmia` 2.0.x), unchanged, against algorithmia-local.

Usage: python_client.py BASE_URL API_KEY USER   (the server's page size must be 2)
Prints "python scenarios passed: N" and exits 0, or fails with the first broken expectation.
"""
import sys

import Algorithmia
from Algorithmia.acl import AclType, ReadAcl
from Algorithmia.algorithm import OutputType
from Algorithmia.errors import AlgorithmException, DataApiError

base, key, user = sys.argv[1:4]
client = Algorithmia.client(key, base)
passed = 0


def check(condition, what):
    global passed
    if not condition:
        raise AssertionError(what)
    passed += 1


def raises(kind, call, what):
    try:
        call()
    except kind as e:
        check(True, what)
        return e
    raise AssertionError(what + ": no " + kind.__name__ + " raised")


# Algorithm calls: text, JSON, binary.
r = client.algo("demo/Hello").pipe("python")
check(r.result == "Hello python", "text result: %r" % r.result)
check(r.metadata.content_type == "text", "text content type")
check(r.metadata.duration >= 0, "duration")
r = client.algo("util/Echo/1.0.0").pipe({"a": [1, 2, None]})
check(r.result == {"a": [1, 2, None]}, "json result: %r" % r.result)
check(r.metadata.content_type == "json", "json content type")
r = client.algo("algo://util/Echo/0.1.*").pipe(bytearray(b"\x00\x01\xfe\xff"))
check(r.result == b"\x00\x01\xfe\xff", "binary result: %r" % r.result)
check(r.metadata.content_type == "binary", "binary content type")

# An algorithm error, with its message.
e = raises(AlgorithmException, lambda: client.algo("util/Fail").pipe({"message": "py fail", "error_type": "InputError"}), "algorithm error")
check("py fail" in str(e), "error message: %s" % e)

# Options: stdout (sent as stdout=True), a timeout, raw and void output.
r = client.algo("demo/Hello").set_options(stdout=True).pipe("opts")
check(r.result == "Hello opts", "stdout option")
e = raises(AlgorithmException, lambda: client.algo("util/Delay").set_options(timeout=1).pipe({"ms": 3000}), "timeout")
check("timed out" in str(e), "timeout message: %s" % e)
raw = client.algo("util/Echo").set_options(output=OutputType.raw).pipe("raw text")
check(raw == "raw text", "raw output: %r" % raw)
raw_json = client.algo("util/Echo").set_options(output=OutputType.raw).pipe({"k": 1})
check(raw_json.replace(" ", "") == '{"k":1}', "raw json output: %r" % raw_json)
# The server answers a raw-output failure with 400, as documented; this client's postJsonHelper
# raises a plain Exception for any non-2xx before its own 400 branch (ApiError) can run.
e = raises(Exception, lambda: client.algo("util/Fail").set_options(output=OutputType.raw).pipe({"message": "raw"}), "raw error")
check("400" in str(e), "raw error status: %s" % e)
void = client.algo("util/Delay").set_options(output=OutputType.void).pipe({"ms": 10})
check(void.async_protocol == "void", "void protocol: %r" % void.async_protocol)
check(void.request_id.startswith("req-"), "void request id")

# Files.
check(client.username() == user, "username from the data root: %r" % client.username())
d = client.dir("data://.my/pycoll")
if d.exists():
    d.delete(True)
d.create(ReadAcl.private)
check(d.exists(), "directory exists after create")
f = d.file("hello world.txt")
check(not f.exists(), "file absent before put")
f.put("hi from python")
check(f.exists(), "file exists after put")
check(f.getString() == "hi from python", "getString")
check(f.getBytes() == b"hi from python", "getBytes")
f.putJson({"x": [1, 2]})
check(f.getJson() == {"x": [1, 2]}, "getJson")
f.put(b"\x00\xff binary")
check(f.getBytes() == b"\x00\xff binary", "binary put and get")
with open(f.getFile().name, "rb") as local:
    check(local.read() == b"\x00\xff binary", "getFile")
f.delete()
check(not f.exists(), "file gone after delete")
raises(DataApiError, lambda: client.file("data://.my/pycoll/none.txt").getString(), "missing file")

# Directories: listing across pages (2 entries a page), ACLs, forced delete.
for i in range(5):
    d.file("f%d.txt" % i).put("file %d" % i)
d.dir("sub").create()
names = sorted(x.getName() for x in d.files())
check(names == ["f%d.txt" % i for i in range(5)], "files across pages: %r" % names)
check([x.getName() for x in d.dirs()] == ["sub"], "dirs")
check(len(list(d.list())) == 6, "list across pages")
check(d.get_permissions().read_acl == AclType.private, "private acl")
d.update_permissions(ReadAcl.public)
check(d.get_permissions().read_acl == AclType.public, "public acl after update")
d.update_permissions(ReadAcl.my_algos)
check(d.get_permissions().read_acl == AclType.my_algos, "my_algos acl after update")
raises(DataApiError, lambda: d.delete(False), "non-empty delete without force")
check(d.exists(), "still there after refused delete")
check(d.delete(True), "forced delete")
check(not d.exists(), "gone after forced delete")

# A connector, through the /v1/data/ route with the scheme in the path.
c = client.file("dropbox://pyfolder/x.txt")
c.put("dropbox via python")
check(c.getString() == "dropbox via python", "connector file")
client.dir("dropbox://pyfolder").delete(True)

print("python scenarios passed: %d" % passed)
