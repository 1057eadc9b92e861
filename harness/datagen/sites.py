"""CMS computing sites as the job records name them: ``T<tier>_<country>_<name>``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    """One grid site.

    Attributes:
        name: Site name, e.g. ``T2_US_Wisconsin``.
        hpc_subsites: Values of ``MachineAttrCMSSubSiteName0`` for the HPC centres reached through this site.
    """

    name: str
    hpc_subsites: tuple[str, ...] = ()

    @property
    def tier(self) -> str:
        """Tier part of the name (``T2``), as condor records carry it in ``Tier``."""
        return self.name.split("_")[0]

    @property
    def country(self) -> str:
        """Country part of the name (``US``), as condor records carry it in ``Country``."""
        return self.name.split("_")[1]


# Where jobs run. The HPC entries follow what the hpc-usage job recognises, so generated data exercises
# every branch of its site mapping: T3_US_ANL...T3_US_TACC are HPC centres as a whole (known by Site);
# shared sites reach HPC centres known by the sub-site attribute.
SITES: tuple[Site, ...] = (
    Site("T0_CH_CERN"),
    Site("T1_DE_KIT", hpc_subsites=("KIT-HOREKA",)),
    Site("T1_ES_PIC", hpc_subsites=("PIC-BSC",)),
    Site("T1_FR_CCIN2P3"),
    Site("T1_IT_CNAF", hpc_subsites=("CNAF-CINECA", "CNAF-LEONARDO", "CNAF-VEGA", "CNAF-CHULA")),
    Site("T1_UK_RAL"),
    Site("T1_US_FNAL"),
    Site("T2_BE_IIHE"),
    Site("T2_CH_CERN"),
    Site("T2_CH_CSCS"),
    Site("T2_DE_DESY"),
    Site("T2_DE_RWTH", hpc_subsites=("RWTH-HPC",)),
    Site("T2_ES_CIEMAT"),
    Site("T2_FR_GRIF"),
    Site("T2_FR_IPHC"),
    Site("T2_IT_Bari"),
    Site("T2_IT_Legnaro"),
    Site("T2_IT_Pisa"),
    Site("T2_PL_Cyfronet"),
    Site("T2_UK_London_IC"),
    Site("T2_US_Caltech"),
    Site("T2_US_Florida"),
    Site("T2_US_MIT"),
    Site("T2_US_Nebraska"),
    Site("T2_US_Purdue"),
    Site("T2_US_UCSD"),
    Site("T2_US_Vanderbilt"),
    Site("T2_US_Wisconsin"),
    Site("T3_IT_Trieste"),
    Site("T3_US_ANL"),
    Site("T3_US_Anvil"),
    Site("T3_US_NERSC"),
    Site("T3_US_OSG"),
    Site("T3_US_PSC"),
    Site("T3_US_SDSC"),
    Site("T3_US_TACC"),
)

# Sites that host storage (RSEs): T0/T1/T2 only, as in CMS.
STORAGE_SITES: tuple[Site, ...] = tuple(s for s in SITES if s.tier in ("T0", "T1", "T2"))
