"""The security checks' shared report: the permission matrix and the API fuzz add what they
checked (how many URLs, roles and requests; how many operations, examples and requests, and
which failed), printed at the end of every run that ran them, so CI's log says how much was
checked."""

from collections import Counter

import pytest

REPORT = pytest.StashKey[list[str]]()
FUZZ = pytest.StashKey["FuzzTally"]()


class FuzzTally:
    """The API fuzz's counts over all its operations."""

    def __init__(self) -> None:
        self.operations = 0
        self.cases = 0
        self.requests = 0
        self.statuses: Counter = Counter()
        self.failed: dict[str, int] = {}  # operation: failed requests (not known)
        self.known: dict[str, Counter] = {}  # known failure: operation -> requests
        self.known_names: list[str] = []  # every known failure listed, seen or not

    def add(self, label: str, tally) -> None:
        """One operation's `Tally` (tests/security/test_api_fuzz.py)."""
        self.operations += 1
        self.cases += tally.examples
        self.requests += tally.requests
        self.statuses.update(tally.statuses)
        if tally.problems:
            self.failed[label] = len(tally.problems)
        for name, reports in tally.known.items():
            self.known.setdefault(name, Counter())[label] += len(reports)

    def lines(self) -> list[str]:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        lines = [
            f"API fuzz (schemathesis): {self.operations} operations, {self.cases} cases, "
            f"{self.requests} requests (with a write and a read token); statuses {statuses}"
        ]
        for label, count in sorted(self.failed.items()):
            lines.append(f"  FAILED {label}: {count} requests (5xx, or an error not in JSON)")
        for name, operations in sorted(self.known.items()):
            where = ", ".join(f"{label} ({n})" for label, n in sorted(operations.items()))
            lines.append(f"  known, xfail: {name}: {where}")
        if unseen := [name for name in self.known_names if name not in self.known]:
            lines.append(f"  known, not seen in this run (fixed?): {', '.join(unseen)}")
        return lines


@pytest.fixture(scope="session")
def security_report(pytestconfig) -> list[str]:
    """Lines for the end of the run's summary: append one."""
    return pytestconfig.stash.setdefault(REPORT, [])


@pytest.fixture(scope="session")
def fuzz_tally(pytestconfig) -> FuzzTally:
    return pytestconfig.stash.setdefault(FUZZ, FuzzTally())


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = list(config.stash.get(REPORT, []))
    if FUZZ in config.stash:
        lines += config.stash[FUZZ].lines()
    if lines:
        terminalreporter.section("security checks")
        for line in lines:
            terminalreporter.write_line(line)
