"""jobkit.sinks.spark_hdfs.root_cause: the one-line reason of a failed Spark write (no JVM: the Java exception
chain is an in-memory stand-in written for this unit test)."""

from __future__ import annotations

from jobkit.sinks.spark_hdfs import root_cause


class FakeJavaThrowableForUnitTest:
    def __init__(self, text: str, cause: FakeJavaThrowableForUnitTest | None = None) -> None:
        self.text, self.cause = text, cause

    def getCause(self) -> FakeJavaThrowableForUnitTest | None:  # noqa: N802 - Java's name, as py4j shows it
        return self.cause

    def toString(self) -> str:  # noqa: N802
        return self.text


class FakePy4JErrorForUnitTest(Exception):
    def __init__(self, java_exception: FakeJavaThrowableForUnitTest) -> None:
        super().__init__("An error occurred while calling o93.parquet.\n\tat org.apache.spark...")
        self.java_exception = java_exception


def test_an_error_from_the_jvm_gives_its_innermost_cause() -> None:
    chain = FakeJavaThrowableForUnitTest(
        "org.apache.spark.SparkException: Job aborted.",
        FakeJavaThrowableForUnitTest("java.io.IOException: Failed on local exception",
                                     FakeJavaThrowableForUnitTest("java.net.ConnectException: Connection refused")))
    assert root_cause(FakePy4JErrorForUnitTest(chain)) == "java.net.ConnectException: Connection refused"


def test_a_python_error_gives_its_type_and_first_line() -> None:
    assert root_cause(OSError("disk full\nmore detail")) == "OSError: disk full"
    assert root_cause(RuntimeError()) == "RuntimeError"
