/* SPDX-License-Identifier: Apache-2.0 */
/* A stand-in for xapid objects: defines a few op_ symbols for the
 * scripts/api-coverage test. Signatures do not matter to nm. */
int op_VM_start(void);
int op_VM_start(void) { return 0; }
int op_session_login_with_password(void);
int op_session_login_with_password(void) { return 0; }
int op_VM_destroy(void); /* overrides an implicit message */
int op_VM_destroy(void) { return 0; }
int op_VM_no_such_message(void); /* matches nothing: reported */
int op_VM_no_such_message(void) { return 0; }
