#!/usr/bin/env node
/** The `gradclip` command (see main.ts). */
import { main } from './main.js';

process.exitCode = await main(process.argv);
