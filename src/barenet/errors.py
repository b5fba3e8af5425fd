"""The one exception type for user mistakes.

``BarenetError`` is raised for anything a user can fix by changing their input: a bad
recipe key, a missing run directory, data that is not what a run recorded. It subclasses
``ValueError`` so code that catches ``ValueError`` keeps working. The command line prints it
as one line (``barenet: error: ...``) and exits with status 1; any other exception is a bug
and keeps its traceback. Standard library only: every layer may import it.
"""

from __future__ import annotations


class BarenetError(ValueError):
    """A user mistake, with a message that names the problem and how to fix it."""
