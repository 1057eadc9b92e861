"""DBS catalogue dumps as sqoop writes them: CSV without header, ``null`` for nulls, gzip-compressed.

Layout (the daily dump that rucio-daily and rucio-datasets-monitoring read):
``/project/awg/cms/dbs/PROD_GLOBAL/YYYY-MM-DD/<TABLE>/part-m-00000.gz`` plus an empty ``_SUCCESS``, for the
tables DATA_TIERS, DATASETS, BLOCKS and FILES (columns in :data:`COLUMNS`, in dump order). With
``compress=False`` the part file is plain text named ``part-m-00000``.

CSV dialect (sqoop ``--fields-terminated-by , --escaped-by \\ --optionally-enclosed-by '"'``): a field is
enclosed in double quotes only when it contains a comma, a quote, a backslash or a newline; inside, quote
and backslash are escaped with a backslash. Nulls are the bare word ``null``. Dates are epoch seconds.

Referential integrity: every FILES row's DATASET_ID and BLOCK_ID exist in DATASETS and BLOCKS, the block
belongs to that dataset, every DATASETS row's DATA_TIER_ID exists in DATA_TIERS, and BLOCK_SIZE and
FILE_COUNT of a block are the sum and count of its files.

Malformed input: ``corrupt=k`` adds k bad rows to FILES at seeded positions (cycling through: a row with
too few columns, a non-numeric FILE_SIZE, an unterminated quote). Other rows are exactly
:func:`records`, in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from harness.datagen.catalog import CREATORS, DATA_TIERS, datasets
from harness.datagen.corruption import interleave
from harness.datagen.seeding import derive_rng
from harness.datagen.writers import Producer, Sink, empty, gzipped, text_lines

ROOT = "/project/awg/cms/dbs/PROD_GLOBAL"

Cell = int | float | str | None

COLUMNS: dict[str, tuple[str, ...]] = {
    "DATA_TIERS": ("DATA_TIER_ID", "DATA_TIER_NAME", "CREATION_DATE", "CREATE_BY"),
    "DATASETS": (
        "DATASET_ID",
        "DATASET",
        "IS_DATASET_VALID",
        "PRIMARY_DS_ID",
        "PROCESSED_DS_ID",
        "DATA_TIER_ID",
        "DATASET_ACCESS_TYPE_ID",
        "ACQUISITION_ERA_ID",
        "PROCESSING_ERA_ID",
        "PHYSICS_GROUP_ID",
        "XTCROSSSECTION",
        "PREP_ID",
        "CREATION_DATE",
        "CREATE_BY",
        "LAST_MODIFICATION_DATE",
        "LAST_MODIFIED_BY",
    ),
    "BLOCKS": (
        "BLOCK_ID",
        "BLOCK_NAME",
        "DATASET_ID",
        "OPEN_FOR_WRITING",
        "ORIGIN_SITE_NAME",
        "BLOCK_SIZE",
        "FILE_COUNT",
        "CREATION_DATE",
        "CREATE_BY",
        "LAST_MODIFICATION_DATE",
        "LAST_MODIFIED_BY",
    ),
    "FILES": (
        "FILE_ID",
        "LOGICAL_FILE_NAME",
        "IS_FILE_VALID",
        "DATASET_ID",
        "BLOCK_ID",
        "FILE_TYPE_ID",
        "CHECK_SUM",
        "EVENT_COUNT",
        "FILE_SIZE",
        "BRANCH_HASH_ID",
        "ADLER32",
        "MD5",
        "AUTO_CROSS_SECTION",
        "CREATION_DATE",
        "CREATE_BY",
        "LAST_MODIFICATION_DATE",
        "LAST_MODIFIED_BY",
    ),
}
TABLES = tuple(COLUMNS)
# DATA_TIERS rows were created when DBS3 was set up, long before any snapshot.
_TIERS_CREATED = 1_262_304_000  # 2010-01-01
_EDM_FILE_TYPE = 1


def _rows(table: str, seed: int, n_files: int, day: date) -> Iterator[tuple[Cell, ...]]:
    """Rows of one table, values in :data:`COLUMNS` order."""
    if table == "DATA_TIERS":
        for tier_id, name in DATA_TIERS:
            yield (tier_id, name, _TIERS_CREATED, CREATORS[0])
        return
    for ds in datasets(seed, n_files, day):
        if table == "DATASETS":
            yield (
                ds.dataset_id,
                ds.name,
                int(ds.valid),
                ds.primary_ds_id,
                ds.processed_ds_id,
                ds.data_tier_id,
                ds.access_type_id,
                ds.acquisition_era_id,
                ds.processing_era_id,
                ds.physics_group_id,
                ds.xtcrosssection,
                ds.prep_id,
                ds.created,
                ds.creator,
                ds.modified,
                ds.modifier,
            )
            continue
        for block in ds.blocks:
            if table == "BLOCKS":
                last_file = max(f.created for f in block.files)
                yield (
                    block.block_id,
                    block.name,
                    ds.dataset_id,
                    int(block.open_for_writing),
                    block.origin_site,
                    block.size,
                    len(block.files),
                    block.created,
                    block.creator,
                    last_file,
                    block.creator,
                )
                continue
            for f in block.files:
                yield (
                    f.file_id,
                    f.lfn,
                    int(f.valid),
                    ds.dataset_id,
                    block.block_id,
                    _EDM_FILE_TYPE,
                    f.check_sum,
                    f.events,
                    f.size,
                    None,
                    f.adler32,
                    None,
                    None,
                    f.created,
                    f.creator,
                    f.created if f.valid else max(f.created, ds.modified),
                    f.creator,
                )


def records(table: str, seed: int, n_files: int, day: date) -> Iterator[dict[str, Cell]]:
    """Yield the rows of one DBS table as dicts keyed by column name (nulls as None).

    Args:
        table: One of :data:`TABLES`.
        seed: Seed (shared with :mod:`harness.datagen.rucio` for a consistent catalogue).
        n_files: Number of files in the catalogue (FILES rows).
        day: Snapshot day.

    Yields:
        Rows in dump order.

    Raises:
        ValueError: If the table is unknown.
    """
    if table not in COLUMNS:
        raise ValueError(f"unknown DBS table {table!r}; expected one of {', '.join(TABLES)}")
    columns = COLUMNS[table]
    for row in _rows(table, seed, n_files, day):
        yield dict(zip(columns, row, strict=True))


def csv_field(value: Cell) -> str:
    """Format one value as sqoop does (see the module docstring).

    Args:
        value: The value; None is written as ``null``.

    Returns:
        The CSV field.
    """
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if any(c in text for c in ',"\\\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def csv_line(values: Sequence[Cell]) -> str:
    """Format one row (without newline).

    Args:
        values: The row's values in column order.

    Returns:
        The CSV line.
    """
    return ",".join(csv_field(v) for v in values)


def _malformed(i: int, row: tuple[Cell, ...]) -> str:
    """The i-th bad FILES row, built from a valid row (under an id no valid row has)."""
    row = (99_999_000 + i, *row[1:])
    if i % 3 == 0:
        return csv_line(row[:5])
    if i % 3 == 1:
        return csv_line((*row[:8], f"{row[8]}x", *row[9:]))
    return f'{csv_line(row[:1])},"{row[1]},{csv_line(row[2:])}'


def lines(table: str, seed: int, n_files: int, day: date, *, corrupt: int = 0) -> Iterator[str]:
    """Yield the CSV lines of one table; for FILES, ``corrupt`` malformed rows are mixed in.

    Args:
        table: One of :data:`TABLES`.
        seed: Seed.
        n_files: Number of files in the catalogue.
        day: Snapshot day.
        corrupt: Number of malformed FILES rows (other tables are never corrupted).

    Returns:
        Iterator over the lines, without newline.

    Raises:
        ValueError: If the table is unknown or corrupt < 0.
    """
    if table not in COLUMNS:
        raise ValueError(f"unknown DBS table {table!r}; expected one of {', '.join(TABLES)}")
    valid = map(csv_line, _rows(table, seed, n_files, day))
    if table != "FILES":
        return valid
    template = next(_rows("FILES", seed, 1, day))
    placement = derive_rng(seed, "dbs", "corrupt", day.isoformat())
    return interleave(valid, n_files, corrupt, placement, lambda i: _malformed(i, template))


def table_dir(table: str, day: date, root: str = ROOT) -> str:
    """Return the directory of one table's daily dump.

    Args:
        table: Table name.
        day: Snapshot day.
        root: Dump root.

    Returns:
        ``<root>/YYYY-MM-DD/<TABLE>``.
    """
    return f"{root}/{day.isoformat()}/{table}"


def write(
    sink: Sink,
    seed: int,
    n_files: int,
    day: date,
    *,
    compress: bool = True,
    corrupt: int = 0,
    root: str = ROOT,
) -> list[str]:
    """Write the four DBS tables of one daily dump.

    Args:
        sink: Where to write.
        seed: Seed (use the Rucio dump's seed for a consistent catalogue).
        n_files: Number of files in the catalogue.
        day: Snapshot day (selects the directory; all dates are before it).
        compress: Gzip the part files (``part-m-00000.gz``, as the jobs' ``*.gz`` globs expect).
        corrupt: Number of malformed FILES rows.
        root: Dump root.

    Returns:
        The part-file paths written (``_SUCCESS`` markers not included), in :data:`TABLES` order.
    """
    paths = []
    for table in TABLES:
        directory = table_dir(table, day, root)
        producer: Producer = text_lines(lines(table, seed, n_files, day, corrupt=corrupt))
        path = f"{directory}/part-m-00000"
        if compress:
            producer, path = gzipped(producer), path + ".gz"
        sink.put(path, producer)
        sink.put(f"{directory}/_SUCCESS", empty)
        paths.append(path)
    return paths
