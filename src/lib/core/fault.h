/* Named steps of start-up and tear-down at which the suite kills keep.
 *
 * keep must leave nothing behind that `keep gc` or `delete --force` cannot
 * remove, wherever it is killed.  The suite proves it step by step: with
 * KEEP_FAULT_KILL_AT=NAME in its environment, keep sends itself SIGKILL on
 * reaching the step NAME.  The knob lets a caller do nothing it could not do
 * already (kill its own keep), so it exists in every build. */
#ifndef KEEP_FAULT_H
#define KEEP_FAULT_H

void keep_fault_point(const char *name);

#endif
