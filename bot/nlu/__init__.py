"""Natural-language understanding for one-line training reports.

The public entry point is :func:`bot.nlu.parser.parse_report`; everything
here is pure (no I/O) and uses only the standard library.
"""
