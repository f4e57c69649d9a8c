"""The command line: each command parses, makes one call below the CLI, and renders.

Rules live in ``events``, read models in ``projections``, output shapes in
:mod:`complaintctl.render`, exit codes in :mod:`complaintctl.errors`. The
group (:mod:`.group`) loads each command's module only when it runs.
"""

from complaintctl.cli.group import main

__all__ = ["main"]
