<?php
/**
 * The PHP-visible API of an extension or of a stubs file, as comparable data: every function (parameters: name,
 * type, optional, by reference, variadic, default; return type) and every class (parent, interfaces, final or
 * abstract, constants, its own methods and properties). Used by tests/php/StubsTest.php on both sides.
 *
 *   php -n tests/php/lib/describe-api.php STUBS.php    requires the stubs file (no extension loaded: -n) and prints
 *                                                       the JSON description of what it declared
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

/** @return array<string,mixed> */
function describe_function(\ReflectionFunctionAbstract $f): array
{
    $params = [];
    foreach ($f->getParameters() as $p) {
        $default = null;
        if ($p->isDefaultValueAvailable()) {
            try {
                $default = $p->isDefaultValueConstant() ? 'const ' . $p->getDefaultValueConstantName() : var_export($p->getDefaultValue(), true);
            } catch (\ReflectionException $e) {
                $default = 'unreadable: ' . $e->getMessage();
            }
        }
        $params[] = [
            'name' => $p->getName(),
            'type' => $p->hasType() ? (string) $p->getType() : null,
            'optional' => $p->isOptional(),
            'by_reference' => $p->isPassedByReference(),
            'variadic' => $p->isVariadic(),
            'default' => $default,
        ];
    }
    return [
        'params' => $params,
        'return' => $f->hasReturnType() ? (string) $f->getReturnType() : null,
        'by_reference' => $f->returnsReference(),
    ];
}

/** @return array<string,mixed> */
function describe_class(\ReflectionClass $c): array
{
    $methods = [];
    foreach ($c->getMethods() as $m) {
        if ($m->getDeclaringClass()->getName() === $c->getName()) {
            $methods[$m->getName()] = describe_function($m) + [
                'static' => $m->isStatic(),
                'visibility' => $m->isPublic() ? 'public' : ($m->isProtected() ? 'protected' : 'private'),
                'final' => $m->isFinal(),
                'abstract' => $m->isAbstract(),
            ];
        }
    }
    ksort($methods);
    $props = [];
    foreach ($c->getProperties() as $p) {
        if ($p->getDeclaringClass()->getName() === $c->getName()) {
            $props[$p->getName()] = ($p->hasType() ? (string) $p->getType() . ' ' : '') . ($p->isStatic() ? 'static ' : '') . ($p->isPublic() ? 'public' : ($p->isProtected() ? 'protected' : 'private'));
        }
    }
    ksort($props);
    $interfaces = $c->getInterfaceNames();
    sort($interfaces);
    $constants = $c->getConstants();
    ksort($constants);
    return [
        'parent' => $c->getParentClass() ? $c->getParentClass()->getName() : null,
        'interfaces' => $interfaces,
        'kind' => $c->isInterface() ? 'interface' : ($c->isTrait() ? 'trait' : 'class'),
        'final' => $c->isFinal(),
        'abstract' => $c->isAbstract(),
        'constants' => $constants,
        'methods' => $methods,
        'properties' => $props,
    ];
}

/**
 * @param list<string> $functions
 * @param list<string> $classes
 * @return array{functions: array<string,mixed>, classes: array<string,mixed>}
 */
function describe_api(array $functions, array $classes): array
{
    $out = ['functions' => [], 'classes' => []];
    foreach ($functions as $name) {
        $f = new \ReflectionFunction($name);
        $out['functions'][$f->getName()] = describe_function($f);
    }
    foreach ($classes as $name) {
        $c = new \ReflectionClass($name);
        $out['classes'][$c->getName()] = describe_class($c);
    }
    ksort($out['functions']);
    ksort($out['classes']);
    return $out;
}

if (PHP_SAPI === 'cli' && isset($argv[1]) && realpath($argv[0]) === __FILE__) {
    $before = ['functions' => get_defined_functions()['user'], 'classes' => [...get_declared_classes(), ...get_declared_interfaces(), ...get_declared_traits()]];
    require $argv[1];
    $functions = array_values(array_diff(get_defined_functions()['user'], $before['functions']));
    $classes = array_values(array_diff([...get_declared_classes(), ...get_declared_interfaces(), ...get_declared_traits()], $before['classes']));
    $api = describe_api($functions, $classes);
    $api['extension_loaded'] = extension_loaded('mulopimfwc');
    echo json_encode($api, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
}
