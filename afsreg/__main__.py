"""python -m afsreg"""

from afsreg.cli import main

main()
