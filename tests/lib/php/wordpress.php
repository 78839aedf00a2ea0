<?php
/**
 * What the scripts that load a test site's WordPress from the command line share (tests/e2e/lib/script-guard.php
 * and demo-setup.php, bench/lib/seed-templates.php, tests/reliability/site/rel-wc.php, php/tests/cli): the request
 * variables WordPress expects for the site's URL, and products made through WooCommerce's own API the one way the
 * tests make them.
 */

/**
 * The request variables WordPress expects for URL (its host, port and root path), before wp-load.php.
 *
 * @param string $url The site's URL.
 */
function mulopimfwc_test_request_vars( $url ) {
	$parts                  = parse_url( (string) $url );
	$_SERVER['HTTP_HOST']   = $parts['host'] . ( isset( $parts['port'] ) ? ':' . $parts['port'] : '' );
	$_SERVER['SERVER_NAME'] = $parts['host'];
	$_SERVER['REQUEST_URI'] = '/';
	$_SERVER['SERVER_PORT'] = (string) ( $parts['port'] ?? 80 );
}

/**
 * Saves a WooCommerce product or variation that manages its stock: published, with a SKU, a regular price, the
 * stock and backorders (WooCommerce's data store writes the meta, the lookup row and the terms).
 *
 * @param WC_Product $p          A new product (name, parent, attributes already set as the caller wants).
 * @param string     $sku        SKU.
 * @param string     $price      Regular price.
 * @param int        $stock      Stock quantity.
 * @param string     $backorders no, notify or yes.
 * @return int its id (0: WooCommerce did not save it)
 */
function mulopimfwc_test_save_stocked( $p, $sku, $price, $stock, $backorders = 'no' ) {
	$p->set_status( 'publish' );
	$p->set_sku( $sku );
	$p->set_regular_price( $price );
	$p->set_manage_stock( true );
	$p->set_stock_quantity( $stock );
	$p->set_backorders( $backorders );
	return (int) $p->save();
}

/**
 * A visible attribute used for variations: a local one (name and options), or a global one (its taxonomy name,
 * the taxonomy's id and term ids).
 *
 * @param string $name    Attribute name (local) or taxonomy (global).
 * @param array  $options Option names (local) or term ids (global).
 * @param int    $id      The global attribute's id (0: local).
 * @return WC_Product_Attribute
 */
function mulopimfwc_test_variation_attribute( $name, array $options, $id = 0 ) {
	$attr = new WC_Product_Attribute();
	if ( $id ) {
		$attr->set_id( $id );
	}
	$attr->set_name( $name );
	$attr->set_options( $options );
	$attr->set_visible( true );
	$attr->set_variation( true );
	return $attr;
}

/**
 * A published variable product with one attribute used for variations.
 *
 * @param string               $name Product name.
 * @param string               $sku  SKU.
 * @param WC_Product_Attribute $attr The attribute.
 * @param string               $slug Its slug ('' for WordPress's own).
 * @return int its id (0: WooCommerce did not save it)
 */
function mulopimfwc_test_save_variable( $name, $sku, $attr, $slug = '' ) {
	$p = new WC_Product_Variable();
	$p->set_name( $name );
	if ( '' !== $slug ) {
		$p->set_slug( $slug );
	}
	$p->set_status( 'publish' );
	$p->set_sku( $sku );
	$p->set_attributes( array( $attr ) );
	return (int) $p->save();
}
