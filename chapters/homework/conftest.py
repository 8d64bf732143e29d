"""Keep nbval away from the homework sources.

They are otter-assign source notebooks, checked by tests/test_homework.py through otter
itself (assign, then grade the solution, a blank and a wrong submission); running them a
second time as plain notebooks would only repeat the slowest part of that check.
"""

collect_ignore_glob = ["*.ipynb"]
