"""Allow ``python -m complaintctl``."""

from complaintctl.cli import main

main()
