#!/usr/bin/env node
/** Process entry: the `picloud` CLI. */
console.log("picloud");
