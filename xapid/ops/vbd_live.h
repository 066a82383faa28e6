/* SPDX-License-Identifier: Apache-2.0 */
/* The link from ops/ to the QEMU disk layer (xenops/qemu_disk.h). */
#ifndef HALYARD_OPS_VBD_LIVE_H
#define HALYARD_OPS_VBD_LIVE_H

#include "qemu_disk.h"

#endif
