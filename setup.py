"""Only what pyproject.toml cannot say: ship mockflow-hokusai.pth at the top of site-packages.

That file is the HOKUSAI_MOCK_MODE start-up hook (mockflow/hokusai_hook.py): setuptools'
package data lands inside the package, but Python only reads .pth files at the top level.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "mockflow-hokusai.pth"


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        self.copy_file(str(Path(__file__).parent / PTH), str(Path(self.build_lib) / PTH))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:  # type: ignore[override]
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / PTH)]


setup(cmdclass={"build_py": BuildPyWithPth})
