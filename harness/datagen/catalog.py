"""The data catalogue that DBS and Rucio both describe: datasets, their blocks and their files.

DBS dumps (:mod:`harness.datagen.dbs`) and Rucio dumps (:mod:`harness.datagen.rucio`) are views of the same
catalogue, so DBS ``LOGICAL_FILE_NAME`` equals Rucio file ``NAME``, DBS ``BLOCK_NAME`` equals Rucio dataset
``NAME`` and DBS ``DATASET`` equals Rucio container ``NAME``.

The catalogue is streamed one dataset at a time (with its blocks and files), so a million files never sit
in memory together. Names and ids depend only on (seed, n_files); timestamps are ages before the snapshot
day, so the same catalogue dumped on another day differs only in its times.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from harness.datagen.seeding import derive_rng
from harness.datagen.sites import STORAGE_SITES

# (id, name): DATA_TIERS rows. Data and simulation datasets use different tiers; RECO and DQMIO exist in
# the table without datasets, as in DBS.
DATA_TIERS: tuple[tuple[int, str], ...] = (
    (1, "RAW"),
    (2, "AOD"),
    (3, "MINIAOD"),
    (4, "NANOAOD"),
    (5, "GEN-SIM"),
    (6, "AODSIM"),
    (7, "MINIAODSIM"),
    (8, "NANOAODSIM"),
    (9, "RECO"),
    (10, "DQMIO"),
)
_DATA_TIER_IDS = (1, 2, 3, 4)
_SIM_TIER_IDS = (5, 6, 7, 8)
_TIER_NAME = dict(DATA_TIERS)

_DATA_PDS = ("ZeroBias", "SingleMuon", "EGamma", "JetMET", "Muon", "DoubleMuon", "Tau", "BTagMu")
_SIM_PDS = (
    "TTToSemiLeptonic_TuneCP5_13TeV-powheg-pythia8",
    "DYJetsToLL_M-50_TuneCP5_13TeV-madgraphMLM-pythia8",
    "GluGluHToGG_M125_TuneCP5_13TeV-amcatnloFXFX-pythia8",
    "QCD_Pt-15to7000_TuneCP5_Flat_13TeV_pythia8",
    "WJetsToLNu_TuneCP5_13TeV-madgraphMLM-pythia8",
    "ZZTo4L_TuneCP5_13TeV_powheg_pythia8",
    "ST_tW_top_5f_inclusiveDecays_TuneCP5_13TeV-powheg-pythia8",
    "GJets_HT-400To600_TuneCP5_13TeV-madgraphMLM-pythia8",
)
_DATA_ERAS = (("Run2022C", "PromptReco"), ("Run2022F", "22Sep2023"), ("Run2023D", "PromptReco"))
_SIM_ERAS = (
    ("Run3Summer22", "124X_mcRun3_2022_realistic_v12"),
    ("Run3Summer23", "130X_mcRun3_2023_realistic_v14"),
    ("RunIISummer20UL18", "106X_upgrade2018_realistic_v16_L1v1"),
)
# Who creates and modifies catalogue entries. One DN has a comma, as some personal certificates do, so
# the CSV writers' quoting is exercised.
CREATORS = (
    "/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN=cmsprod/CN=663277/CN=Robot: CMS Production",
    "/DC=ch/DC=cern/OU=computers/CN=tier0/vocms0314.cern.ch",
    "/DC=org/DC=terena/DC=tcs/C=BE/O=Universiteit Gent/CN=Doe, Jane jdoe@ugent.be",
    "dbs3-writer",
)
_DAY_S = 86_400


@dataclass(frozen=True)
class File:
    """A file (DBS FILES row, Rucio DID of type F)."""

    file_id: int
    lfn: str
    size: int
    events: int
    adler32: str
    check_sum: str
    valid: bool
    created: int  # epoch seconds
    creator: str


@dataclass(frozen=True)
class Block:
    """A block (DBS BLOCKS row, Rucio DID of type D): the unit of transfer and of locks."""

    block_id: int
    name: str
    dataset_id: int
    origin_site: str
    open_for_writing: bool
    created: int  # epoch seconds
    creator: str
    files: tuple[File, ...]

    @property
    def size(self) -> int:
        """Total bytes of the block's files."""
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class Dataset:
    """A dataset (DBS DATASETS row, Rucio DID of type C) with its blocks."""

    dataset_id: int
    name: str
    valid: bool
    primary_ds_id: int
    processed_ds_id: int
    data_tier_id: int
    access_type_id: int
    acquisition_era_id: int | None
    processing_era_id: int | None
    physics_group_id: int | None
    xtcrosssection: float | None
    prep_id: str | None
    created: int  # epoch seconds
    creator: str
    modified: int  # epoch seconds
    modifier: str
    blocks: tuple[Block, ...]


def snapshot_epoch(day: date) -> int:
    """Return the start of the snapshot day in epoch seconds (all catalogue times are before it).

    Args:
        day: Snapshot day.

    Returns:
        Epoch seconds of 00:00 UTC that day.
    """
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class _Naming:
    name: str
    tier_id: int
    era: str
    primary: str
    processed: str
    simulated: bool


def _naming(k: int) -> _Naming:
    """Name parts of the k-th dataset, unique by construction (a mixed-radix decomposition of k)."""
    simulated = k % 2 == 1
    pds, eras, tiers = (_SIM_PDS, _SIM_ERAS, _SIM_TIER_IDS) if simulated else (_DATA_PDS, _DATA_ERAS, _DATA_TIER_IDS)
    rest = k // 2
    pd = pds[rest % len(pds)]
    rest //= len(pds)
    tier_id = tiers[rest % len(tiers)]
    rest //= len(tiers)
    era, processing = eras[rest % len(eras)]
    version = rest // len(eras) + 1
    processed = f"{processing}-v{version}"
    return _Naming(f"/{pd}/{era}-{processed}/{_TIER_NAME[tier_id]}", tier_id, era, pd, processed, simulated)


def datasets(seed: int, n_files: int, day: date) -> Iterator[Dataset]:
    """Yield the catalogue's datasets, each with its blocks and files, until ``n_files`` files exist.

    About 5% of datasets are invalid (their files too); about 3% of the files of valid datasets are
    invalid. A smaller ``n_files`` with the same seed gives a prefix of the same catalogue (the last dataset
    cut short).

    Args:
        seed: Seed.
        n_files: Total number of files, at least 1.
        day: Snapshot day; every time in the catalogue is before it.

    Yields:
        Datasets in id order.

    Raises:
        ValueError: If n_files < 1.
    """
    if n_files < 1:
        raise ValueError(f"n_files must be at least 1, got {n_files}")
    rng = derive_rng(seed, "catalog")
    snapshot = snapshot_epoch(day)
    block_id, file_id, remaining, k = 1_000_000, 100_000_000, n_files, 0
    while remaining > 0:
        naming = _naming(k)
        valid = rng.random() >= 0.05
        created = snapshot - rng.randint(30, 1500) * _DAY_S - rng.randrange(_DAY_S)
        creator = rng.choice(CREATORS)
        lfn_dir = (
            f"/store/{'mc' if naming.simulated else 'data'}/{naming.era}/{naming.primary}"
            f"/{_TIER_NAME[naming.tier_id]}/{naming.processed}/{2500 + k % 100}"
        )
        blocks = []
        for _ in range(rng.randint(1, 6)):
            if remaining == 0:
                break
            block_created = created + rng.randrange(20 * _DAY_S)
            block_name = f"{naming.name}#{_uuid(rng)}"
            files = []
            for _ in range(min(remaining, rng.randint(1, 40))):
                lfn = f"{lfn_dir}/{_uuid(rng)}.root"
                files.append(
                    File(
                        file_id=file_id,
                        lfn=lfn,
                        size=rng.randint(20_000_000, 4_000_000_000),
                        events=rng.randint(100, 200_000),
                        adler32=f"{rng.getrandbits(32):08x}",
                        check_sum=str(rng.getrandbits(32)),
                        valid=valid and rng.random() >= 0.03,
                        created=block_created + rng.randrange(_DAY_S),
                        creator=creator,
                    )
                )
                file_id += 1
            remaining -= len(files)
            blocks.append(
                Block(
                    block_id=block_id,
                    name=block_name,
                    dataset_id=10_000 + k,
                    origin_site=rng.choice(STORAGE_SITES).name,
                    open_for_writing=rng.random() < 0.05,
                    created=block_created,
                    creator=creator,
                    files=tuple(files),
                )
            )
            block_id += 1
        modified = created + rng.randrange(25 * _DAY_S)
        yield Dataset(
            dataset_id=10_000 + k,
            name=naming.name,
            valid=valid,
            primary_ds_id=1 + (_DATA_PDS + _SIM_PDS).index(naming.primary),
            processed_ds_id=500_000 + k,
            data_tier_id=naming.tier_id,
            access_type_id=rng.choice((1, 1, 1, 2)) if valid else rng.choice((3, 41)),
            acquisition_era_id=rng.randint(1, 60) if rng.random() < 0.9 else None,
            processing_era_id=rng.randint(1, 40) if rng.random() < 0.7 else None,
            physics_group_id=rng.randint(1, 30) if rng.random() < 0.5 else None,
            xtcrosssection=round(rng.uniform(0.001, 5000.0), 4) if naming.simulated and rng.random() < 0.3 else None,
            prep_id=f"PPD-{naming.era}-{k:05d}" if rng.random() < 0.6 else None,
            created=created,
            creator=creator,
            modified=modified,
            modifier=rng.choice(CREATORS),
            blocks=tuple(blocks),
        )
        k += 1
