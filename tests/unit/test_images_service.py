"""Service image names: the tag changes exactly when the recipe, the packages or a staged file changes, and a
service image that is in the cache is returned without building anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.images import service
from harness.images.service import ServiceImageSpec, build_service_image, service_image_ref


@pytest.fixture
def recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "recipe").mkdir()
    (tmp_path / "recipe" / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.setattr(service, "RECIPE_DIR", tmp_path / "recipe")
    monkeypatch.setattr(service, "rootfs_dir", lambda: Path("/cache/images/debian-bookworm-000000000000"))
    return tmp_path


def test_name_and_key_follow_the_inputs(recipe: Path) -> None:
    jar = recipe / "app.jar"
    jar.write_text("one")
    spec = ServiceImageSpec("search", packages=("openjdk-17-jre-headless",), files={"lib/app.jar": jar})
    first = service_image_ref(spec)
    assert (first.registry, first.repository) == ("localhost", "cronharness/services/search")
    assert service_image_ref(spec) == first
    jar.write_text("two")
    edited = service_image_ref(spec)
    assert edited.tag != first.tag
    more = service_image_ref(ServiceImageSpec("search", packages=("openjdk-17-jre-headless", "procps"),
                                              files={"lib/app.jar": jar}))
    assert more.tag not in {first.tag, edited.tag}
    (recipe / "recipe" / "Dockerfile").write_text("FROM scratch\nUSER 1\n")
    assert service_image_ref(spec).tag not in {first.tag, edited.tag, more.tag}


def test_missing_file_and_an_empty_image_are_refused(recipe: Path) -> None:
    with pytest.raises(HarnessError, match=r"service image x: .*nope\.jar \(for /opt/service/lib/a\.jar\) does not "
                                           r"exist"):
        service_image_ref(ServiceImageSpec("x", packages=("p",), files={"lib/a.jar": recipe / "nope.jar"}))
    with pytest.raises(HarnessError, match="service image x: give the service itself: a Debian package or staged"):
        build_service_image(ServiceImageSpec("x", packages=()))


def test_cached_archive_is_returned_without_a_build(recipe: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "cache_root", lambda: recipe / "cache")
    monkeypatch.setattr("harness.images.job.cache_root", lambda: recipe / "cache")
    spec = ServiceImageSpec("pushgateway", packages=("prometheus-pushgateway",))
    ref = service_image_ref(spec)
    archive = recipe / "cache" / "images" / "jobs" / f"localhost-cronharness-services-pushgateway-{ref.tag}.tar"
    archive.parent.mkdir(parents=True)
    archive.write_text("built earlier")

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("nothing may be built when the archive exists")

    monkeypatch.setattr(service, "ensure_rootfs", no_build)
    monkeypatch.setattr(service, "build_keyed_archive", no_build)
    image = build_service_image(spec)
    assert (image.ref, image.archive) == (ref, archive)
