"""Expected failures: the CLI prints their message lines and exits non-zero, without a traceback."""


class KbError(Exception):
    """An error the author can fix: bad data, a failing notebook cell, a broken build.

    `lines` are the one-line messages to print (e.g. ``data/x.csv:12:value: 'abc' is not a number``).
    """

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))
