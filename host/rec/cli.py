"""User errors on the command line: one line on stderr and exit status 2, the way argparse reports
a bad option; `--debug` shows the traceback instead. Used by every CLI of host.rec and host.bench."""
from __future__ import annotations

import sys
from typing import Callable

#: what a user can cause: bad values and malformed data (ValueError, DataFormatError), missing or
#: unreadable files (OSError), an environment that cannot run the request (RuntimeError, e.g. the
#: board backend without pynq, or a device that reports another build)
USER_ERRORS = (ValueError, OSError, RuntimeError)


def user_errors(run: Callable[[], object], prog: str, debug: bool = False) -> int:
    """Run `run()`; 0 when it returns, 2 after printing `prog: error: ...` when it raises a user error."""
    try:
        run()
    except USER_ERRORS as e:
        if debug:
            raise
        message = " ".join(str(e).split()) or type(e).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    return 0
