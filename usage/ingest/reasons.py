"""Reason codes for rejected rows and rejected files. Pure: no Django."""

# Row-level reasons, in the order they are checked (the first that applies is reported).
ROW_REASONS: dict[str, str] = {
    "malformed": "Malformed line (wrong number of fields or unreadable text)",
    "bad_esiid": "ESI ID is not 17 or 22 digits",
    "unknown_esiid": "ESI ID is not registered",
    "other_tdu": "ESI ID belongs to another TDU than the file's",
    "bad_date": "USAGE_DATE is not a valid MM/DD/YYYY date",
    "future_date": "USAGE_DATE is in the future",
    "before_install": "USAGE_DATE is before the meter was installed",
    "bad_time": "Start or end time is not a 15-minute interval (HH:MM)",
    "no_such_slot": "That interval does not exist on that day (DST change)",
    "bad_kwh": "USAGE_KWH is not a number with at most 3 decimals",
    "negative_kwh": "USAGE_KWH is negative",
    "bad_flag": "ESTIMATED_ACTUAL is not A or E",
    "bad_channel": "CONSUMPTION_SURPLUSGENERATION is not Consumption or Surplus Generation",
    "bad_revision": "REVISION_DATE is not a valid MM/DD/YYYY HH:MM:SS time",
    "revision_out_of_range": "REVISION_DATE is before the start of USAGE_DATE or too far after the load time",
    "duplicate_conflict": "The same interval appears again in the file with the same revision time "
    "and a different value",
}

# File-level reasons: the whole file is rejected and nothing of it is stored.
FILE_REASONS: dict[str, str] = {
    "empty": "The file is empty",
    "not_csv": "The file is not a CSV text file",
    "bad_header": "The header line is not the TDU interval layout",
    "bad_gzip": "The file is not readable gzip data",
    "truncated_gzip": "The gzip data ends before its end marker (truncated upload?)",
    "bad_file_name": "The file name does not follow <TDU DUNS>_<YYYYMMDD>_<anything>.csv[.gz]",
    "unknown_tdu": "No TDU has the DUNS number in the file name",
    "line_too_long": "A line is longer than any valid row could be",
    "io_error": "The file could not be read",
    "internal_error": "The file could not be processed (internal error)",
    "too_large": "The file's data is larger than one file may be (send a TDU-day as several parts)",
    "gzip_ratio": "The gzip data expands far more than TDU files do (a compression bomb?)",
    "too_many_rows": "The file has more rows than one file may have (send a TDU-day as several parts)",
    "mostly_blank": "Most lines of the file are blank",
    "mostly_rejected": "Most rows of the file are rejected",
}


class FileRejected(Exception):  # a rejection, not a programming error
    """The whole file is rejected, with one clear reason."""

    def __init__(self, code: str, detail: str = "", counts: dict[str, int] | None = None):
        self.code = code
        self.counts = counts or {}  # rejected rows by reason, when the file was refused for them
        base = FILE_REASONS.get(code, code)
        self.message = f"{base}: {detail}" if detail else base
        super().__init__(self.message)
