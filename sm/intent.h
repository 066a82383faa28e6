/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small texts a chain SR (chain.h) leaves in its directory and reads
 * back after a crash: image file names and the lines of an intent file.
 * Pure functions over bytes, so the recovery's parsing can be fuzzed
 * (sm/fuzz/fuzz_intent.c).
 */
#ifndef HALYARD_SM_INTENT_H
#define HALYARD_SM_INTENT_H

#include <stdbool.h>
#include <stddef.h>

/* Splits an image file name into location and format: "<loc>.qcow2" /
 * "<loc>.raw" where loc is "<uuid>" or "<uuid>.base" (hidden). False for
 * anything else; on success *loc (heap, optional) is the location, *fmt
 * (optional) "qcow2" or "raw", *hidden (optional) whether it is a base. */
bool sm_image_name_parse(const char *name, char **loc, const char **fmt, bool *hidden);

/* Splits the first len bytes of buf (an intent file's text, which may
 * hold anything after a crash or a tamper) at '\n' into at most max heap
 * lines; stops at a NUL byte. Returns how many lines were stored. */
int sm_intent_split(const char *buf, size_t len, char **lines, int max);

/* Frees n lines from sm_intent_split. */
void sm_intent_lines_free(char **lines, int n);

#endif
