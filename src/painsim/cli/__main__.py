"""``python -m painsim.cli``, as ``python -m painsim`` (it ran when the command line was one module)."""

import sys

from painsim.cli import main

sys.exit(main())
