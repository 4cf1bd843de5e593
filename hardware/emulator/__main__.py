"""`python -m hardware.emulator`: the same as `smsgw emulator`."""

import sys

from hardware.emulator.cli import main

sys.exit(main())
