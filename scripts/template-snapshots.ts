/** Writes test/fixtures/templates again, after a change meant to alter a template (test/support/template-snapshots.ts). */
import { writeSnapshots } from '../test/support/template-snapshots';

writeSnapshots();
