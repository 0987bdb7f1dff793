"""The source strings are Vietnamese: fill the `vi` catalogue's empty entries with the msgid itself."""

import sys

import polib

po = polib.pofile(sys.argv[1])
for entry in po:
    if entry.obsolete:
        continue
    if entry.msgid_plural:
        if not any(entry.msgstr_plural.values()):
            entry.msgstr_plural = {0: entry.msgid_plural}
    elif not entry.msgstr:
        entry.msgstr = entry.msgid
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
po.save()
