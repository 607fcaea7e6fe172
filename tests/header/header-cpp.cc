// SPDX-License-Identifier: MIT
// The public header compiles as C++ and declares C linkage.
#include <directpath/directpath.h>

int dp_header_cpp_check();
int dp_header_cpp_check()
{
	struct dp_ctx_opts o = {};
	o.sz = sizeof(o);
	return static_cast<int>(o.sz) + (dp_version() != nullptr);
}
