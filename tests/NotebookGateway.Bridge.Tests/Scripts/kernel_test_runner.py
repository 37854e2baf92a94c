"""Runs jupyter_kernel_test (Debian's python3-jupyter-kernel-test), unchanged, against one kernelspec, with the code
samples of its language from the table: kernel_test_runner.py TABLE.json GATEWAY_SPEC LOCAL_KERNELSPEC.
Exits 0 when every test passes; unittest's report goes to stderr. (History access types a row does not list as
supported are skipped by jupyter_kernel_test itself, as upstream's own ipykernel row does for "range".)"""
import json
import sys
import unittest

import jupyter_kernel_test

table_file, spec, kernel_name = sys.argv[1], sys.argv[2], sys.argv[3]
with open(table_file, encoding="utf-8") as f:
    table = json.load(f)
row = {key: value for key, value in table[spec].items() if not key.startswith("_")}
if "supported_history_operations" in row:
    row["supported_history_operations"] = tuple(row["supported_history_operations"])

attributes = dict(row, kernel_name=kernel_name)
case = type("BridgedKernelTests_" + spec.replace("-", "_"), (jupyter_kernel_test.KernelTests,), attributes)
suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stderr).run(suite)
print(json.dumps({"expected": len(unittest.defaultTestLoader.getTestCaseNames(case)), "run": result.testsRun, "failures": len(result.failures), "errors": len(result.errors),
                  "skipped": len(result.skipped)}))
sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
