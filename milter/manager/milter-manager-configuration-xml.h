/*
 * milter-manager-configuration-xml - the live configuration as the XML
 * document of the controller's get-configuration (controller.md §5.1)
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-configuration-xml.h>
 *
 *   MilterManagerXmlCondition conditions[] = { { "S25R", "Selective SMTP Rejection" } };
 *   gchar *xml = milter_manager_configuration_to_xml (configuration, conditions, 1,
 *                                                     last_modified, stopped);
 *
 * DESCRIPTION
 *   Two-space indentation, one element per line, text escaped for XML,
 *   booleans true/false, statuses by name. <last-modified> (seconds since
 *   the epoch of milter-manager.custom.conf) only when last_modified >= 0;
 *   <applicable-conditions> only when there are conditions (they live in
 *   the Ruby model, so the caller passes them); <milters> only when there
 *   are eggs, in list order, each with name, description (if set),
 *   enabled, fallback-status, evaluation-mode, connection-spec,
 *   command, command-options (each if set) and its applicable
 *   conditions (if any). The document is what the custom XML loader
 *   reads back (§5.2).
 *
 *   stopped (may be NULL) holds the names taken out of new sessions by
 *   the controller's stop-child: that is run-time state, not
 *   configuration, so such a milter still shows the enabled it was
 *   configured with (TRUE: stop-child only stops enabled milters).
 */
#pragma once

#include <glib.h>

#include <milter/manager/milter-manager-configuration.h>

G_BEGIN_DECLS

typedef struct {
  const gchar *name;
  const gchar *description;   /* NULL: none */
} MilterManagerXmlCondition;

gchar *milter_manager_configuration_to_xml (MilterManagerConfiguration *configuration,
                                            const MilterManagerXmlCondition *conditions,
                                            guint n_conditions,
                                            gint64 last_modified,
                                            GHashTable *stopped);

G_END_DECLS
