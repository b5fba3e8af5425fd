import sys

from barenet.app.cli import main

sys.exit(main())
