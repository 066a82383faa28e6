/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The XenAPI as C tables. Everything declared here is GENERATED at build
 * time by schemas/gen/genapi.py from schemas/xenapi/datamodel.json into
 * api_gen.c; nothing in this header is written by hand per class.
 *
 * Indexes: classes, fields, enums and messages are referred to by their
 * index in the generated arrays (int). Generated headers (api_ids.h) also
 * give named constants: CLS_VM, CLS_host, FLD_VM_name_label (index within
 * the class), ENUM_vm_power_state, MSG_VM_start …
 */
#ifndef HALYARD_API_META_H
#define HALYARD_API_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Roles, ordered from most to least privileged (datamodel "roles"). */
enum api_role {
	ROLE_POOL_ADMIN = 0,
	ROLE_POOL_OPERATOR,
	ROLE_VM_POWER_ADMIN,
	ROLE_VM_ADMIN,
	ROLE_VM_OPERATOR,
	ROLE_CLIENT_CERT,
	ROLE_READ_ONLY,
	ROLE__COUNT
};
#define ROLE_BIT(r) (1u << (r))
extern const char *const api_role_names[ROLE__COUNT]; /* "pool-admin" … */

typedef enum api_type_kind {
	AT_VOID = 0,
	AT_STRING,
	AT_INT,
	AT_FLOAT,
	AT_BOOL,
	AT_DATETIME,
	AT_ENUM,   /* enm */
	AT_REF,    /* cls */
	AT_RECORD, /* cls */
	AT_SET,    /* elem */
	AT_MAP,    /* key -> elem */
	AT_OPTION, /* elem */
} api_type_kind;

typedef struct api_type {
	api_type_kind kind;
	int16_t cls; /* AT_REF/AT_RECORD: class index; -1 otherwise */
	int16_t enm; /* AT_ENUM: enum index; -1 otherwise */
	const struct api_type *key;  /* AT_MAP */
	const struct api_type *elem; /* AT_SET, AT_MAP (value), AT_OPTION */
	const char *text;            /* datamodel spelling, e.g. "VM ref set" */
} api_type;

typedef struct api_enum {
	const char *name;
	const char *const *values; /* datamodel spelling */
	int nvalues;
} api_enum;

typedef enum api_qualifier {
	Q_RW = 0,          /* client-settable; in the constructor record */
	Q_RO_CONSTRUCTOR,  /* in the constructor record, no setter */
	Q_RO_RUNTIME,      /* server-maintained */
} api_qualifier;

typedef struct api_map_key_roles {
	const char *key;  /* may end in '*' (prefix match) */
	uint32_t roles;   /* ROLE_BIT mask allowed to add/remove this key */
} api_map_key_roles;

typedef struct api_field {
	const char *name;        /* wire name, e.g. "name_label" */
	const api_type *type;
	api_qualifier qual;
	bool persist;            /* false: reset to default when xapid starts */
	bool internal_only;      /* stored, never on the wire */
	const char *default_json; /* default as JSON text (maps as objects), or NULL */
	uint32_t getter_roles;   /* ROLE_BIT mask */
	uint32_t setter_roles;
	/*
	 * Derived one-to-many side of a relation (e.g. VM.VBDs): the value is
	 * the set of refs of class rel_class whose field rel_field equals this
	 * object's ref. Such fields are never stored. -1 when stored.
	 */
	int16_t rel_class;
	int16_t rel_field;
	const api_map_key_roles *map_keys_roles; /* NULL or {NULL,0}-terminated */
	bool removed;            /* lifecycle state Removed */
	bool deprecated;
} api_field;

typedef struct api_class {
	const char *name;      /* "VM", "host", "PIF_metrics" */
	const char *lname;     /* lower case, as in events: "vm", "pif_metrics" */
	bool in_database;      /* has a table and the implicit messages */
	bool persist;          /* false: rows are not kept across restarts */
	bool gen_events;       /* false: never appears in event.from */
	bool gen_constructor_destructor;
	const api_field *fields;
	int nfields;
	int16_t uuid_field;       /* index of "uuid" or -1 */
	int16_t name_label_field; /* index of "name_label" or -1 */
	uint32_t allowed_roles;   /* class-level roles */
	const char *sql_create;   /* generated CREATE TABLE/INDEX text (see db/store.h) */
} api_class;

typedef enum api_msg_kind {
	MK_CUSTOM = 0,
	MK_FIELD_GETTER,
	MK_FIELD_SETTER,
	MK_FIELD_ADD,      /* add_to_<map>(self, key, value) or add_<set>(self, value) */
	MK_FIELD_REMOVE,   /* remove_from_<map>(self, key) or remove_<set>(self, value) */
	MK_CONSTRUCTOR,
	MK_DESTRUCTOR,
	MK_GET_BY_UUID,
	MK_GET_BY_NAME_LABEL,
	MK_GET_RECORD,
	MK_GET_ALL,
	MK_GET_ALL_WHERE,
	MK_GET_ALL_RECORDS_WHERE,
	MK_GET_ALL_RECORDS,
} api_msg_kind;

typedef struct api_param {
	const char *name;
	const api_type *type;
	bool required;            /* false: has a default, may be omitted at the end */
	const char *default_json; /* NULL when required */
} api_param;

typedef struct api_ctor_field {
	int16_t field;  /* field index in the class */
	bool required;  /* no default: must be in the record */
} api_ctor_field;

struct call_ctx;
struct xv;
struct xerr;
struct api_msg;

/*
 * A hand-written handler for a custom message. args[i] is the API-typed
 * value of wire parameter i (session excluded; trailing defaults filled
 * in). On success returns NULL and sets *result (void messages set
 * xv_str("")). On failure returns the XenAPI error.
 */
typedef struct xerr *(*api_handler)(struct call_ctx *ctx, const struct api_msg *m,
				    struct xv *const *args, struct xv **result);

typedef struct api_msg {
	const char *wire_name;  /* "VM.start" */
	const char *name;       /* "start" */
	int16_t cls;
	api_msg_kind kind;
	int16_t field;          /* field accessors: field index, else -1 */
	/*
	 * MK_CUSTOM messages that the datamodel marks custom only to give map
	 * keys their own roles (VM.add_to_other_config …): the accessor kind
	 * they behave as when no handler overrides them, on implicit_field.
	 * MK_CUSTOM (and -1) otherwise.
	 */
	api_msg_kind implicit_kind;
	int16_t implicit_field;
	const api_param *params; /* session param EXCLUDED */
	int nparams;
	int nrequired;          /* params without defaults */
	const api_type *result;
	uint32_t roles;         /* ROLE_BIT mask */
	enum api_role min_role;
	bool async;             /* Async.<wire_name> is dispatched */
	bool session;           /* first wire parameter is the session ref */
	bool hidden, pool_internal, secret, has_effect;
	bool removed;           /* lifecycle Removed: MESSAGE_REMOVED */
	const api_ctor_field *ctor_fields; /* MK_CONSTRUCTOR only */
	int nctor_fields;
	const api_map_key_roles *map_keys_roles;
	const char *const *errors; /* NULL-terminated error codes it may raise */
	/*
	 * For MK_CUSTOM: the handler `op_<Class>_<msg>` if one is linked in
	 * (a weak reference), otherwise NULL: the dispatcher answers
	 * NOT_IMPLEMENTED. For implicit kinds a non-NULL handler overrides
	 * the generic implementation (e.g. VM.destroy rules).
	 */
	api_handler handler;
} api_msg;

typedef struct api_error {
	const char *name;
	const char *const *params; /* NULL-terminated parameter names */
	int nparams;
	bool documented;
} api_error;

extern const api_class api_classes[];
extern const int api_nclasses;
extern const api_enum api_enums[];
extern const int api_nenums;
extern const api_msg api_msgs[];
extern const int api_nmsgs;
extern const api_error api_errors[];
extern const int api_nerrors;
extern const char *const api_emergency_calls[]; /* NULL-terminated */
extern const int api_version_major, api_version_minor;
extern const char *const api_version_vendor;
extern const int api_schema_major, api_schema_minor;
/* A hash of every class's sql_create text: changes when the schema does. */
extern const char *const api_schema_hash;

/* Lookups (generated; O(log n) or better). Return -1 / NULL when absent. */
const api_msg *api_find_msg(const char *wire_name);
int api_find_class(const char *name);          /* exact spelling */
int api_find_class_ci(const char *name);       /* case-insensitive */
int api_find_field(int cls, const char *name); /* exact wire name */
int api_find_enum(const char *name);
/* Case-insensitive enum value lookup; returns the value index or -1. */
int api_enum_value(int enm, const char *value);
const api_error *api_find_error(const char *name);

#endif
