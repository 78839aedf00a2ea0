<?php
/**
 * Shared by the export benchmark's driver (bench/lib/export.php) and its direct runs (bench/lib/export-cli.php):
 * the canonical form of an export row (to compare what each engine and the floor return, in order), and the
 * floor's SQL.
 */

/**
 * One export row as one line: the contract's eleven fields in order, `disabled` as 1/0 (JSON: a bool; CSV:
 * yes/no; SQL: 1/0). Rows from any source that mean the same give the same line.
 *
 * @param array $r Row (assoc: the export's field names; or a list in the same order).
 * @return string
 */
function mulopimfwc_bench_export_line( array $r ) {
	if ( isset( $r[0] ) || array_key_exists( 0, $r ) ) {
		list( $pid, $sku, $name, $lid, $slug, $lname, $stock, $reg, $sale, $back, $dis ) = $r;
	} else {
		$pid   = $r['product_id'];
		$sku   = $r['sku'];
		$name  = $r['product_name'];
		$lid   = $r['location_id'];
		$slug  = $r['location_slug'];
		$lname = $r['location_name'];
		$stock = $r['stock'];
		$reg   = $r['regular_price'];
		$sale  = $r['sale_price'];
		$back  = $r['backorders'];
		$dis   = $r['disabled'];
	}
	$dis = ( true === $dis || 'yes' === $dis || '1' === (string) $dis ) ? '1' : '0';
	return implode( "\t", array( (int) $pid, (string) $sku, (string) $name, (int) $lid, (string) $slug, (string) $lname, (string) $stock, (string) $reg, (string) $sale, (string) $back, $dis ) ) . "\n";
}

/**
 * The floor: the whole export (every published product, a variable product's published/private variations
 * instead of itself, × every location, in the contract's order) as ONE plain SQL query. Location meta is
 * pivoted once per (post, location) with GROUP BY; the SKU joined per post. (Joining postmeta once per key and
 * location instead, by its post_id index, takes ~10× as long.) (The engines take the first meta
 * row of a key by meta_id when a key is duplicated; the seeded store has no duplicates, so MAX() is the same.)
 *
 * @param string $prefix      Table prefix.
 * @param int    $location_id Optional filter (0: all).
 * @return string
 */
function mulopimfwc_bench_export_floor_sql( $prefix, $location_id = 0 ) {
	$p   = $prefix;
	$loc = $location_id > 0 ? ' AND t.term_id = ' . (int) $location_id : '';
	// One statement: MariaDB's SET STATEMENT gives it the memory for its temporary tables (the pivot and the
	// final sort; with the server's default 16 MB they go to disk and the query takes ~4× as long), and the
	// pivoted values are cast to VARCHAR (a LONGTEXT column forces an on-disk temporary table). A value longer
	// than 64 characters would be cut: the hash comparison with the engines' rows would show it.
	return "SET STATEMENT tmp_table_size = 1073741824, max_heap_table_size = 1073741824, sort_buffer_size = 268435456 FOR
	SELECT u.id, COALESCE(sku.meta_value, ''), u.title, l.term_id, l.slug, l.name,
		COALESCE(m.stock, ''), COALESCE(m.regular_price, ''), COALESCE(m.sale_price, ''), COALESCE(m.backorders, ''),
		COALESCE(m.disabled, '') = 'yes'
	FROM (
		SELECT p.ID AS id, p.ID AS unit, 0 AS mo, p.post_title AS title FROM `{$p}posts` p
		WHERE p.post_type = 'product' AND p.post_status = 'publish' AND p.ID NOT IN (SELECT vt.object_id FROM `{$p}term_relationships` vt
			JOIN `{$p}term_taxonomy` tt ON tt.term_taxonomy_id = vt.term_taxonomy_id AND tt.taxonomy = 'product_type'
			JOIN `{$p}terms` te ON te.term_id = tt.term_id AND te.slug = 'variable')
		UNION ALL
		SELECT v.ID, v.post_parent, v.menu_order, v.post_title FROM `{$p}posts` v JOIN `{$p}posts` pp ON pp.ID = v.post_parent
		WHERE v.post_type = 'product_variation' AND v.post_status IN ('publish','private')
			AND pp.post_type = 'product' AND pp.post_status = 'publish' AND pp.ID IN (SELECT vt.object_id FROM `{$p}term_relationships` vt
			JOIN `{$p}term_taxonomy` tt ON tt.term_taxonomy_id = vt.term_taxonomy_id AND tt.taxonomy = 'product_type'
			JOIN `{$p}terms` te ON te.term_id = tt.term_id AND te.slug = 'variable')
	) u
	JOIN (SELECT t.term_id, t.slug, t.name FROM `{$p}terms` t JOIN `{$p}term_taxonomy` tt ON tt.term_id = t.term_id
		WHERE tt.taxonomy = 'mulopimfwc_store_location'{$loc}) l
	LEFT JOIN `{$p}postmeta` sku ON sku.post_id = u.id AND sku.meta_key = '_sku'
	LEFT JOIN (
		SELECT post_id, CAST(SUBSTRING_INDEX(meta_key, '_', -1) AS UNSIGNED) AS loc,
			MAX(IF(meta_key LIKE '\\_location\\_stock\\_%', CAST(meta_value AS CHAR(64)), NULL)) AS stock,
			MAX(IF(meta_key LIKE '\\_location\\_regular\\_price\\_%', CAST(meta_value AS CHAR(64)), NULL)) AS regular_price,
			MAX(IF(meta_key LIKE '\\_location\\_sale\\_price\\_%', CAST(meta_value AS CHAR(64)), NULL)) AS sale_price,
			MAX(IF(meta_key LIKE '\\_location\\_backorders\\_%', CAST(meta_value AS CHAR(64)), NULL)) AS backorders,
			MAX(IF(meta_key LIKE '\\_location\\_disabled\\_%', CAST(meta_value AS CHAR(64)), NULL)) AS disabled
		FROM `{$p}postmeta`
		WHERE meta_key LIKE '\\_location\\_%'
		GROUP BY post_id, loc
	) m ON m.post_id = u.id AND m.loc = l.term_id
	ORDER BY u.unit, l.name, l.term_id, u.mo, u.id";
}

/**
 * The number of rows the export has (an independent COUNT, not the floor's rows).
 *
 * @param string $prefix      Table prefix.
 * @param int    $location_id Optional filter (0: all).
 * @return string
 */
function mulopimfwc_bench_export_count_sql( $prefix, $location_id = 0 ) {
	$p   = $prefix;
	$loc = $location_id > 0 ? ' AND t.term_id = ' . (int) $location_id : '';
	return "SELECT (
		(SELECT COUNT(*) FROM `{$p}posts` p WHERE p.post_type = 'product' AND p.post_status = 'publish'
			AND NOT EXISTS (SELECT 1 FROM `{$p}term_relationships` vt JOIN `{$p}term_taxonomy` tt ON tt.term_taxonomy_id = vt.term_taxonomy_id AND tt.taxonomy = 'product_type'
				JOIN `{$p}terms` te ON te.term_id = tt.term_id AND te.slug = 'variable' WHERE vt.object_id = p.ID))
		+ (SELECT COUNT(*) FROM `{$p}posts` v JOIN `{$p}posts` pp ON pp.ID = v.post_parent
			WHERE v.post_type = 'product_variation' AND v.post_status IN ('publish','private') AND pp.post_type = 'product' AND pp.post_status = 'publish'
			AND EXISTS (SELECT 1 FROM `{$p}term_relationships` vt JOIN `{$p}term_taxonomy` tt ON tt.term_taxonomy_id = vt.term_taxonomy_id AND tt.taxonomy = 'product_type'
				JOIN `{$p}terms` te ON te.term_id = tt.term_id AND te.slug = 'variable' WHERE vt.object_id = pp.ID))
	) * (SELECT COUNT(*) FROM `{$p}terms` t JOIN `{$p}term_taxonomy` tt ON tt.term_id = t.term_id WHERE tt.taxonomy = 'mulopimfwc_store_location'{$loc})";
}
