/*
 * milter-manager-error - the GError domain of the manager library
 */
#include "config.h"

#include <glib.h>

#include <milter/manager/milter-manager-error.h>

G_DEFINE_QUARK (milter-manager-error-quark, milter_manager_error)
