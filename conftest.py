"""pytest settings for the notebooks (run under nbval): TensorFlow writes start-up lines to
stderr that vary by machine, so stored stderr is never compared."""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
