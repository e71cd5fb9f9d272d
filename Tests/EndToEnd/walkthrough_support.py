"""plugin-sdk/README.md's walkthrough as files: its code blocks (```c file=my_provider.c, ```make
file=Makefile ...) are the provider's files, as written. Shared by test_sdk_walkthrough.py (which
builds and serves them) and test_plugins_validate.py (which runs the validator on the result)."""

import os
import re
import subprocess

from conftest import ROOT

README = os.path.join(ROOT, "plugin-sdk", "README.md")
FENCE = re.compile(r"^```(\w+) file=(\S+)\n(.*?)^```$", re.M | re.S)


def readme_files():
    """{file name: its text}, the README's blocks of one file joined in order."""
    files = {}
    for _, name, text in FENCE.findall(open(README).read()):
        files[name] = files[name] + "\n" + text if name in files else text
    return files


def build_walkthrough(directory):
    """The README's files written to `directory` and built by its own Makefile: the library's path."""
    for name, text in readme_files().items():
        (directory / name).write_text(text)
    subprocess.run(["make", "-s", "-C", str(directory), f"SDK={os.path.join(ROOT, 'plugin-sdk')}"], check=True, timeout=120)
    return directory / "libmy_provider.so"
