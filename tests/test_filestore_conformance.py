"""The library's own recorder and application test cases, run on our file store.

Every test gets a fresh directory; fsync stays on, as in production.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import pytest
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.tests import application as lib_app
from eventsourcing.tests import persistence as lib
from eventsourcing.utils import Environment, get_topic

from complaintctl import filestore as fs


class _TempDir:
    """Mixin: a fresh store directory per test, removed afterwards."""

    def setUp(self) -> None:
        self.store_dir = tempfile.mkdtemp(prefix="filestore-")
        self.factories: list[fs.FileInfrastructureFactory] = []
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        for f in self.factories:
            f.close()
        shutil.rmtree(self.store_dir, ignore_errors=True)

    def factory(self) -> fs.FileInfrastructureFactory:
        f = fs.FileInfrastructureFactory(
            {"FILESTORE_PATH": self.store_dir, "FILESTORE_FSYNC": "yes"}
        )
        self.factories.append(f)
        return f


class TestAggregateRecorder(_TempDir, lib.AggregateRecorderTestCase):
    def create_recorder(self) -> Any:
        return self.factory().aggregate_recorder()


class TestSnapshotRecorder(_TempDir, lib.AggregateRecorderTestCase):
    def create_recorder(self) -> Any:
        return self.factory().aggregate_recorder("snapshots")


class TestApplicationRecorder(_TempDir, lib.ApplicationRecorderTestCase[Any]):
    def create_recorder(self) -> Any:
        return self.factory().application_recorder()

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestTrackingRecorder(_TempDir, lib.TrackingRecorderTestCase):
    def create_recorder(self) -> Any:
        return self.factory().tracking_recorder()


class TestProcessRecorder(_TempDir, lib.ProcessRecorderTestCase):
    def create_recorder(self) -> Any:
        return self.factory().process_recorder()


class TestNonInterleaving(_TempDir, lib.NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> Any:
        return self.factory().application_recorder()


class _TrackingSubclass(fs.FileTrackingRecorder):
    pass


class TestInfrastructureFactory(lib.InfrastructureFactoryTestCase[fs.FileInfrastructureFactory]):
    def setUp(self) -> None:
        self.store_dir = tempfile.mkdtemp(prefix="filestore-")
        self.env = Environment(
            "TestCase",
            {
                InfrastructureFactory.PERSISTENCE_MODULE: fs.__name__,
                "FILESTORE_PATH": self.store_dir,
            },
        )
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        shutil.rmtree(self.store_dir, ignore_errors=True)

    def expected_factory_class(self) -> type[fs.FileInfrastructureFactory]:
        return fs.FileInfrastructureFactory

    def expected_aggregate_recorder_class(self) -> type[Any]:
        return fs.FileAggregateRecorder

    def expected_application_recorder_class(self) -> type[Any]:
        return fs.FileApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[Any]:
        return fs.FileTrackingRecorder

    def tracking_recorder_subclass(self) -> type[Any]:
        return _TrackingSubclass

    def expected_process_recorder_class(self) -> type[Any]:
        return fs.FileProcessRecorder


class _FileStoreEnv:
    """Point the library's applications at a fresh file store via os.environ."""

    def setUp(self) -> None:
        self.store_dir = tempfile.mkdtemp(prefix="filestore-app-")
        self._saved = {k: os.environ.get(k) for k in ("PERSISTENCE_MODULE", "FILESTORE_PATH")}
        os.environ["PERSISTENCE_MODULE"] = fs.__name__
        os.environ["FILESTORE_PATH"] = self.store_dir
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        for k, v in self._saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(self.store_dir, ignore_errors=True)


@pytest.mark.filterwarnings("default::DeprecationWarning")  # the library tests its own warning
class TestApplication(_FileStoreEnv, lib_app.ApplicationTestCase):
    pass


class TestExampleApplication(_FileStoreEnv, lib_app.ExampleApplicationTestCase):
    expected_factory_topic = get_topic(fs.FileInfrastructureFactory)


# Keep pytest from collecting the imported abstract bases.
del lib, lib_app
