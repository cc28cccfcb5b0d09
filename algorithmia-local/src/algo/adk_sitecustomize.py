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
