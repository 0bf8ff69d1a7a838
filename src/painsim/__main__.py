import sys

from painsim.cli import main

sys.exit(main())
