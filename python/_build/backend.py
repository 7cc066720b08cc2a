"""backend.py: the build backend of python/pyproject.toml: setuptools'
own (setuptools.build_meta), taken from the interpreter's site-packages
(Debian: python3-setuptools, python3-wheel) so that `pip install ./python`
needs no download: pip's isolated build environment hides site-packages and
would otherwise fetch setuptools from an index.  Build requirements that
are already importable are not asked for; the others (e.g. `wheel` on an
interpreter without it) still are, as usual."""
import importlib.util
import site
import sys

for _d in site.getsitepackages():
    if _d not in sys.path:
        sys.path.append(_d)
try:
    import setuptools.build_meta as _st
    from setuptools.build_meta import *  # noqa: F401,F403  (the PEP 517 hooks)
except ImportError as e:  # pragma: no cover
    raise ImportError("building verif-client needs setuptools >= 61 "
                      "(Debian: apt-get install python3-setuptools)") from e


def _missing(reqs):
    """The requirements whose module cannot be imported here."""
    names = [r.split(";")[0].split(">")[0].split("=")[0].split("<")[0].strip()
             for r in reqs]
    return [r for r, n in zip(reqs, names)
            if importlib.util.find_spec(n.replace("-", "_")) is None]


def get_requires_for_build_wheel(config_settings=None):
    return _missing(_st.get_requires_for_build_wheel(config_settings))


def get_requires_for_build_sdist(config_settings=None):
    return _missing(_st.get_requires_for_build_sdist(config_settings))


def get_requires_for_build_editable(config_settings=None):
    return _missing(_st.get_requires_for_build_editable(config_settings))
