"""What is running on this machine, read from Linux /proc (for tests that check nothing is left behind)."""

from __future__ import annotations

from pathlib import Path


def command_lines() -> list[list[str]]:
    """The arguments of every running process (processes that end while being read are skipped)."""
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines.append(cmdline.read_bytes().decode(errors="replace").split("\0"))
        except OSError:
            continue
    return lines


def running_in_group(group: int) -> list[str]:
    """Processes of a process group that still run (exited ones waiting to be reaped excluded)."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()   # after "pid (name)": state, ppid, pgrp …
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            running.append(stat.parent.name)
    return running


def running_with_environment(name: str, value: str) -> list[str]:
    """Processes (not exited) whose environment holds ``name=value``: a process and everything it
    started, whatever their process groups (the batch's workers, kernels, browser and its helpers)."""
    wanted = f"{name}={value}".encode()
    running = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if wanted not in environ.read_bytes().split(b"\0"):
                continue
            state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
            name_ = (environ.parent / "comm").read_text().strip()
        except (OSError, IndexError):
            continue
        if state != "Z":
            running.append(f"{environ.parent.name} {name_}")
    return running
