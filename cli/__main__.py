"""`python -m cli …` runs `hmiqa …`."""
import sys

from .main import main

sys.exit(main())
