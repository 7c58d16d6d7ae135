"""Entry point when this directory is run as `python tools/pulumi-language-python ...`.

Running the directory (not `-m`) keeps our package off PYTHONPATH, so the Pulumi programs and
dynamic-provider processes the host starts inherit an untouched environment.
"""

import sys

from hyperv_lab_langhost.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
