"""An independent reading of the rule book (issue 11 item 2): a compact oracle for differential tests.

It reads only `../shared/law/RULES.md` (as understood by its author) and the dated law data of
`domain/law/*.json` (as data). It imports nothing from domain/ or services/: its value is that it was
written apart from the engine.
"""
