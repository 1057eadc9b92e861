"""jobkit.config: parsing, one-line validation errors naming the variable and the allowed values,
dry-run switches, and the exit-code-2 helper."""

from __future__ import annotations

from datetime import date

import pytest

from jobkit.config import Config, Var, config_errors_exit, load
from jobkit.errors import ConfigError

VARS = (
    Var("OUTPUT_DIR", "str", required=True, help="HDFS directory for the parquet output"),
    Var("DAYS", "int", default=30, help="days of records to read"),
    Var("RATIO", "float", default=0.5),
    Var("VERBOSE", "bool", default=False),
    Var("DATE", "date"),
    Var("SINK_KIND", "str", default="opensearch", choices=("elasticsearch", "opensearch")),
    Var("TIERS", "list", choices=("T1", "T2", "T3")),
)


def error_of(environ: dict[str, str], argv: tuple[str, ...] = ()) -> str:
    with pytest.raises(ConfigError) as info:
        load(VARS, environ, argv)
    return str(info.value)


def test_values_are_parsed_and_defaults_filled() -> None:
    config = load(VARS, {"OUTPUT_DIR": " /out ", "DAYS": "7", "VERBOSE": "yes", "DATE": "2026-11-01",
                         "TIERS": "T1, T2,", "RATIO": "0.25"})
    assert config.values == {"OUTPUT_DIR": "/out", "DAYS": 7, "RATIO": 0.25, "VERBOSE": True,
                             "DATE": date(2026, 11, 1), "SINK_KIND": "opensearch", "TIERS": ("T1", "T2")}
    assert (config.text("OUTPUT_DIR"), config.integer("DAYS"), config.number("RATIO")) == ("/out", 7, 0.25)
    assert (config.flag("VERBOSE"), config.day("DATE"), config.items("TIERS")) == (True, date(2026, 11, 1),
                                                                                   ("T1", "T2"))
    assert config.dry_run is False


def test_empty_variable_counts_as_unset() -> None:
    config = load(VARS, {"OUTPUT_DIR": "/o", "DAYS": "", "DATE": " "})
    assert (config.integer("DAYS"), config.day("DATE"), config.items("TIERS")) == (30, None, ())


def test_missing_required_variable() -> None:
    assert error_of({}) == ("OUTPUT_DIR is required but not set (HDFS directory for the parquet output); "
                            "allowed: any text")


def test_bad_integer() -> None:
    assert error_of({"OUTPUT_DIR": "/o", "DAYS": "ten"}) == "DAYS='ten' is not an integer; allowed: an integer"


def test_bad_float_date_bool() -> None:
    assert error_of({"OUTPUT_DIR": "/o", "RATIO": "half"}) == "RATIO='half' is not a number; allowed: a number"
    assert error_of({"OUTPUT_DIR": "/o", "DATE": "01/11/2026"}) == (
        "DATE='01/11/2026' is not a date YYYY-MM-DD; allowed: a date YYYY-MM-DD")
    assert error_of({"OUTPUT_DIR": "/o", "VERBOSE": "maybe"}) == (
        "VERBOSE='maybe' is not 1, true, yes, on, 0, false, no, off; allowed: 1, true, yes, on, 0, false, no, off")


def test_value_outside_choices() -> None:
    assert error_of({"OUTPUT_DIR": "/o", "SINK_KIND": "mongodb"}) == (
        "SINK_KIND='mongodb' is not one of the allowed values; allowed: elasticsearch, opensearch")


def test_list_item_outside_choices() -> None:
    assert error_of({"OUTPUT_DIR": "/o", "TIERS": "T1,T0"}) == (
        "TIERS='T1,T0' has unknown item 'T0'; allowed: T1, T2, T3")


def test_errors_are_one_line() -> None:
    assert "\n" not in error_of({"OUTPUT_DIR": "/o", "DAYS": "1\n2"})


@pytest.mark.parametrize(("environ", "argv", "expected"), [
    ({}, (), False),
    ({}, ("--test",), True),
    ({}, ("--dry-run",), True),
    ({"DRY_RUN": "1"}, (), True),
    ({"DRY_RUN": "true"}, (), True),
    ({"DRY_RUN": "0"}, (), False),
    ({"DRY_RUN": ""}, (), False),
])
def test_dry_run_switches(environ: dict[str, str], argv: tuple[str, ...], expected: bool) -> None:
    assert load(VARS, {"OUTPUT_DIR": "/o", **environ}, argv).dry_run is expected


def test_unknown_argument_is_rejected() -> None:
    assert error_of({"OUTPUT_DIR": "/o"}, ("--days=3",)) == (
        "argument '--days=3' is not accepted (configuration comes from environment variables); "
        "allowed: --test, --dry-run")


def test_bad_dry_run_value() -> None:
    assert error_of({"OUTPUT_DIR": "/o", "DRY_RUN": "perhaps"}) == (
        "DRY_RUN='perhaps' is not 1, true, yes, on, 0, false, no, off; allowed: 1, true, yes, on, 0, false, no, off")


def test_getters_check_the_declared_kind() -> None:
    config = load(VARS, {"OUTPUT_DIR": "/o"})
    with pytest.raises(TypeError, match="DAYS is declared as int, not str"):
        config.text("DAYS")
    with pytest.raises(KeyError, match="NOPE is not a declared configuration variable"):
        config.integer("NOPE")


def test_unset_integer_without_default_is_an_error_when_read() -> None:
    config = Config({"N": None}, declared={"N": Var("N", "int")})
    with pytest.raises(ConfigError, match=r"^N is not set; allowed: an integer$"):
        config.integer("N")


def test_config_error_exits_2_with_the_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info, config_errors_exit("cpueff"):
        load(VARS, {"OUTPUT_DIR": "/o", "DAYS": "x"})
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == "cpueff: failed: invalid configuration: DAYS='x' is not an integer; allowed: an integer\n"
    assert captured.out == ""


BOUNDED = (
    Var("LATE_DAYS", "int", default=1, minimum=0, unit="days"),
    Var("MONTHS", "int", default=12, minimum=1, unit="months"),
    Var("FRACTION", "float", default=0.05, minimum=0, maximum=1),
    Var("CAP", "int", maximum=10),
    Var("SINK_URL", "list", schemes=(("http", "http://host:port"), ("https", "https://host:port"))),
    Var("HDFS_URL", "str", schemes=(("hdfs", "hdfs://host:port"), ("file", "file:///"))),
)


@pytest.mark.parametrize(("environ", "reason"), [
    ({"LATE_DAYS": "-1"}, "LATE_DAYS=-1 is negative; allowed: 0 or more days"),
    ({"MONTHS": "0"}, "MONTHS=0 is less than 1; allowed: 1 or more months"),
    ({"FRACTION": "1.5"}, "FRACTION=1.5 is outside [0, 1]; allowed: a number from 0 to 1"),
    ({"FRACTION": "nan"}, "FRACTION=nan is outside [0, 1]; allowed: a number from 0 to 1"),
    ({"CAP": "11"}, "CAP=11 is more than 10; allowed: 10 or less"),
    ({"SINK_URL": "http://a:1,ftp://b:21"},
     "SINK_URL='ftp://b:21' is not a URL with scheme http or https and a host; "
     "allowed: http://host:port, https://host:port"),
    ({"SINK_URL": "http://[::1"}, "SINK_URL='http://[::1' is not a URL with scheme http or https and a host; "
                                  "allowed: http://host:port, https://host:port"),
    ({"HDFS_URL": "hdfs:///data"}, "HDFS_URL='hdfs:///data' is not a URL with scheme hdfs or file and a host; "
                                   "allowed: hdfs://host:port, file:///"),
])
def test_bounds_and_url_schemes(environ: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(BOUNDED, environ)
    assert str(info.value) == reason


def test_values_inside_bounds_and_schemes_pass() -> None:
    config = load(BOUNDED, {"LATE_DAYS": "0", "FRACTION": "1", "SINK_URL": "https://a:9200, http://b:9200",
                            "HDFS_URL": "file:///"})
    assert (config.integer("LATE_DAYS"), config.number("FRACTION"), config.items("SINK_URL"),
            config.text("HDFS_URL")) == (0, 1.0, ("https://a:9200", "http://b:9200"), "file:///")
    assert [var.allowed() for var in BOUNDED[:4]] == ["0 or more days", "1 or more months", "a number from 0 to 1",
                                                      "10 or less"]
