# Loaded by Python at start-up for algorithms hosted by algorithmia-local (put on PYTHONPATH by the
# runner; the algorithm's code and the ADK stay unchanged).
#
# The official ADK (algorithmia-adk 1.2.x) reports exceptions with
# traceback.format_exception(etype=..., value=..., tb=...). Python 3.10 renamed `etype`, so on
# 3.10+ every exception raised by an algorithm would crash the process instead of being reported.
# This accepts the old keyword and passes the same values positionally.
import traceback as _traceback

_format_exception = _traceback.format_exception


def _compatible_format_exception(*args, **kwargs):
    if "etype" in kwargs:
        etype = kwargs.pop("etype")
        value = kwargs.pop("value", None)
        tb = kwargs.pop("tb", None)
        return _format_exception(etype, value, tb, **kwargs)
    return _format_exception(*args, **kwargs)


_traceback.format_exception = _compatible_format_exception


# The ADK writes every response to the fixed FIFO /tmp/algoout (ADK.__init__ tests it with
# os.path.exists, write_to_pipe opens it with open(..., "w")), so two processes on one machine
# would share it. When the host sets ALGORITHMIA_LOCAL_FIFO, that exact path, and only it, is
# redirected to the worker's own FIFO. Before each response is written, the algorithm's stdout is
# flushed and followed by an end-of-call marker, so the host knows it has every line the call
# printed the moment the response arrives.
import os as _os

_own_fifo = _os.environ.get("ALGORITHMIA_LOCAL_FIFO")
if _own_fifo:
    import builtins as _builtins
    import sys as _sys

    _ADK_FIFO = "/tmp/algoout"
    _END_MARKER = b"\x1eALGORITHMIA_LOCAL_END\x1e\n"
    _open = _builtins.open
    _exists = _os.path.exists

    def _redirected(path):
        return _own_fifo if isinstance(path, str) and path == _ADK_FIFO else None

    def _fifo_open(file, *args, **kwargs):
        target = _redirected(file)
        if target is None:
            return _open(file, *args, **kwargs)
        mode = args[0] if args else kwargs.get("mode", "r")
        if any(c in mode for c in "wax+"):
            for stream in (_sys.stdout, _sys.__stdout__):
                try:
                    stream.flush()
                except Exception:
                    pass
            _os.write(1, _END_MARKER)
        return _open(target, *args, **kwargs)

    def _fifo_exists(path):
        target = _redirected(path)
        return _exists(path if target is None else target)

    _builtins.open = _fifo_open
    _os.path.exists = _fifo_exists
