# -*- Python -*-
# GoogleTest binaries built into <build>/test/unit, one per library.
import os

import lit.formats

config.name = "QUANT_OPT-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.quant_opt_obj_root, "test", "unit")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
# Tests that read ../shared data or test inputs find the source tree here.
config.environment["QUANT_OPT_SRC_ROOT"] = config.quant_opt_src_root
