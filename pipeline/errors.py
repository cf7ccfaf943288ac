"""The errors a step reports as one line (`error: ...`) instead of a traceback.

They live apart from the modules that raise them so the CLI can catch them without importing
those modules (and so a rule's code inputs, derived from imports, stay its own: codegraph.py).
"""


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key and how to fix it."""


class DataError(RuntimeError):
    """The data set could not be obtained or is not what the config says it is."""


class DivergenceError(RuntimeError):
    """The loss became NaN or inf."""


class ClaimError(RuntimeError):
    """Sentences of the site that the run's outputs contradict; one line per claim."""


# ---- the machine's errors, as one line -------------------------------------------------------

DISK_FULL = ("is the disk full? Free some space and run again: files are written to a temporary name and "
             "renamed when whole, so nothing half-written was kept.")


def os_error_line(e: OSError) -> str:
    import errno
    where = f"{e.filename}: " if e.filename else ""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{where}no space left on the device; {DISK_FULL}"
    if e.errno == errno.ENOENT:
        return f"{where}no such file or directory. Check the path (an earlier step of the workflow may make it)."
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}not allowed to write or read here ({e.strerror}). Check the permissions of that path."
    return f"{where}{e.strerror or e}"


def write_failed(e: RuntimeError) -> bool:
    """torch.save reports a full disk as a RuntimeError of its zip writer ("unexpected pos ...")."""
    text = str(e)
    return "unexpected pos" in text or "PytorchStreamWriter failed" in text or "file write failed" in text

