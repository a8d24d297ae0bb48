/*
 * layer_plugin.h - what the layer test plugins (layer_plugin.c) saw, kept in their instance
 * struct for test_layers.c to read.
 */
#ifndef LAYER_PLUGIN_H
#define LAYER_PLUGIN_H

#define LAYER_OUTER_MARK "outer-state-mark"

struct layer_obs {
    int inner_runs;       /**< inner: handler calls */
    int inner_state_zero; /**< inner: its state() block was zeroed on first use */
    int later_runs;       /**< outer: timer callbacks */
    int later_state_ok;   /**< outer: its own block in the timer callback */
    int delegate_rc;      /**< outer: what delegate() returned from the timer callback */
    int hook_runs;        /**< outer: model hook calls */
    int hook_state_ok;    /**< outer: its own block in the model hook */
    const char *site;     /**< needs: its required setting */
};

#endif
