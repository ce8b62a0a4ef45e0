"""JupyterLab as a Vietnamese analyst opens it (``make lab``): the file browser at the project root
(notebooks, data and output within reach, the notebooks folder opened first), the Vietnamese
interface (``jupyterlab-language-pack-vi-VN``), the project's kernel only, and no news pop-up.

The interface settings are written into the virtual environment (``<venv>/share/jupyter/lab/
settings/overrides.json``), never into the user's home folder; the rest are the command's options.

    python -m helpers.run.lab            # what make lab runs
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from helpers.paths import PROJECT_ROOT
from helpers.storage import write_text_atomically

KERNEL = "xhht"
LOCALE = "vi_VN"
# JupyterLab's own settings, overridden for everyone using this environment
LAB_SETTINGS = {
    "@jupyterlab/translation-extension:plugin": {"locale": LOCALE},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def settings_path(prefix: Path = Path(sys.prefix)) -> Path:
    """Where JupyterLab reads the overrides of its settings' defaults in this environment."""
    return prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def write_lab_settings(prefix: Path = Path(sys.prefix)) -> Path:
    """Write the Vietnamese, no-news settings into the environment at ``prefix``."""
    return write_text_atomically(settings_path(prefix),
                                 json.dumps(LAB_SETTINGS, ensure_ascii=False, indent=2) + "\n")


def lab_command(*, port: int = 8888, open_browser: bool = False, extra: tuple[str, ...] = ()) -> list[str]:
    """The ``jupyter lab`` command: served on this machine only, rooted at the project."""
    command = [str(Path(sys.executable).with_name("jupyter")), "lab", "--ip=127.0.0.1", f"--port={port}",
               f"--ServerApp.root_dir={PROJECT_ROOT}", "--LabApp.default_url=/lab/tree/notebooks",
               # the project's kernel only (not the environment's plain python3 one)
               f"--KernelSpecManager.allowed_kernelspecs={KERNEL}", "--KernelSpecManager.ensure_native_kernel=False",
               f"--MappingKernelManager.default_kernel_name={KERNEL}"]
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")   # JupyterLab refuses to start as root without it
    return command + list(extra)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Mở JupyterLab cho sổ tính (giao diện tiếng Việt).")
    parser.add_argument("--port", type=int, default=8888, help="cổng (mặc định 8888)")
    args = parser.parse_args(argv)
    write_lab_settings()
    command = lab_command(port=args.port)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
